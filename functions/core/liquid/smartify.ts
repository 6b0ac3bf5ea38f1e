/**
 * Jekyll's `smartify` (kramdown's SmartyPants): straight quotes become curly ones, `--` an en dash,
 * `---` an em dash, `...` an ellipsis and `<<`/`>>` guillemets, written as Unicode characters as Jekyll
 * writes them. Text inside HTML tags is left alone.
 */
export function smartify(text: string): string {
  return text
    .split(/(<<|>>|<[^<>]*>)/)
    .map((part, i, parts) => {
      if (part === '<<') return '«';
      if (part === '>>') return '»';
      if (i % 2 === 1) return part;
      const before = i > 0 ? (parts[i - 1] ?? '') : '';
      return smartText(part, before.endsWith('>') || before === '' ? ' ' : before.slice(-1));
    })
    .join('');
}

function smartText(text: string, previous: string): string {
  let out = '';
  let prev = previous;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const next = text[i + 1] ?? ' ';
    if (text.startsWith('---', i)) {
      out += '—';
      i += 2;
    } else if (text.startsWith('--', i)) {
      out += '–';
      i += 1;
    } else if (text.startsWith('...', i)) {
      out += '…';
      i += 2;
    } else if (ch === '"') {
      out += opens(prev, next) ? '“' : '”';
    } else if (ch === "'") {
      out += /\d/.test(next) && opens(prev, next) ? '’' : opens(prev, next) ? '‘' : '’';
    } else {
      out += ch;
    }
    prev = out.slice(-1);
  }
  return out;
}

function opens(previous: string, next: string): boolean {
  return /[\s([{\u2014\u2013-]/.test(previous) && !/\s/.test(next);
}
