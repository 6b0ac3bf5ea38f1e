/** One problem in the content, located as precisely as we can. */
export interface ContentProblem {
  file: string;
  line?: number;
  field?: string;
  message: string;
}

/** Formats a problem as `file:line: field: message`, the shape editors and CI logs link. */
export function formatProblem(p: ContentProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

/** Thrown when content is invalid; carries every problem found, not just the first. */
export class ContentError extends Error {
  override name = 'ContentError';
  readonly problems: ContentProblem[];

  constructor(problems: ContentProblem[], options?: { cause?: unknown }) {
    super(problems.map(formatProblem).join('\n'), options);
    this.problems = problems;
  }
}
