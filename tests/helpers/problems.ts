import { ContentError, type ContentProblem } from '../../functions/core/errors.ts';

/** The problems of the ContentError `act` throws; fails the test when it throws none. */
export function problemsOf(act: () => unknown): ContentProblem[] {
  try {
    act();
  } catch (error) {
    if (error instanceof ContentError) return error.problems;
    throw error;
  }
  throw new Error('expected a ContentError');
}
