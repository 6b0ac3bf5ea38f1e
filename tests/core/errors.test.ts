import { describe, expect, it } from 'vitest';
import { ContentError, formatProblem } from '../../functions/core/errors.ts';

describe('ContentError', () => {
  it('names file, line and field in its message', () => {
    const problems = [
      { file: 'posts/2026-01-01-a.md', line: 2, field: 'title', message: 'is required' },
      { file: 'posts/b.md', message: 'file name must start with a date (YYYY-MM-DD-slug.md)' },
    ];

    const error = new ContentError(problems);

    expect(error.name).toBe('ContentError');
    expect(error.message).toBe(
      'posts/2026-01-01-a.md:2: title: is required\nposts/b.md: file name must start with a date (YYYY-MM-DD-slug.md)',
    );
    expect(error.problems).toHaveLength(2);
    expect(formatProblem({ file: 'x.md', line: 3, message: 'bad' })).toBe('x.md:3: bad');
  });
});
