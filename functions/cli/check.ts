import { EmailTemplateError } from '../adapters/email-template-error.ts';
import { TemplateError } from '../adapters/templates-fs.ts';
import { ContentError, formatProblem } from '../core/errors.ts';
import { type BuildReport, type EmailSelection, prepareBuild } from './build.ts';

export interface CheckOptions {
  contentDir: string;
  templatesDir?: string;
  /** Which posts' emails to render and check; see `BuildOptions.emails`. Default `all`. */
  emails?: EmailSelection;
  /** Required with `emails: 'mailable'`. */
  now?: Date;
  /** Jekyll layout: check `_drafts/` too. */
  drafts?: boolean;
}

/** Outcome of `herald check`: errors fail the check, warnings do not. */
export interface CheckResult {
  ok: boolean;
  /** One line per problem, `file:line: field: message` for content problems. */
  errors: string[];
  warnings: string[];
  /** Present when the content loaded and rendered. */
  report?: BuildReport;
}

/**
 * `herald check`: loads the content, renders every page, feed and email exactly as `build`
 * would, and writes nothing. Known failures (content, templates) become error lines; anything
 * else is a bug and is rethrown.
 */
export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  try {
    // Every file is made and validated, then let go: nothing is kept or written.
    const { report } = await prepareBuild(options, () => undefined);
    return { ok: true, errors: [], warnings: report.warnings, report };
  } catch (error) {
    if (error instanceof ContentError) {
      return { ok: false, errors: error.problems.map(formatProblem), warnings: [] };
    }
    if (error instanceof TemplateError || error instanceof EmailTemplateError)
      return { ok: false, errors: [error.message], warnings: [] };
    throw error;
  }
}
