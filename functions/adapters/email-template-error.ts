/**
 * Thrown when the newsletter template cannot be read or MJML reports errors in it. In a module of
 * its own so `herald check` can recognise it without loading the renderer before it renders.
 */
export class EmailTemplateError extends Error {
  override name = 'EmailTemplateError';
  /** Path of the template file at fault. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}
