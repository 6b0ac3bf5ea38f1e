// Two steps of mjml-core's pipeline that the email renderer runs itself (see mjml-email-renderer.ts).
declare module 'mjml-core/lib/helpers/skeleton.js' {
  /** Wraps the rendered body in the HTML document, with the head styles, fonts and media queries. */
  const skeleton: (options: { inlineStyle: string[] } & Record<string, unknown>) => string;
  export default skeleton;
}

declare module 'mjml-core/lib/helpers/mergeOutlookConditionnals.js' {
  /** Joins adjacent `<!--[if mso | IE]>` blocks, mjml's last step after inlining the CSS. */
  const mergeOutlookConditionnals: (html: string) => string;
  export default mergeOutlookConditionnals;
}

declare module 'juice/client.js' {
  /** juice without `juiceResources` and its web-resource-inliner: the same inlining function. */
  const juice: typeof import('juice');
  export default juice;
}
