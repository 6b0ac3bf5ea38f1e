import { parse as parseCsv } from 'csv-parse/sync';
import { ContentError, type ContentProblem } from '../errors.ts';
import { readYaml, YamlSyntaxError } from '../read-yaml.ts';
import type { SiteFiles } from './site-files.ts';

const DATA_DIR = '_data/';
const DATA_FILE = /\.(ya?ml|json|csv|tsv)$/i;

/**
 * Reads `site.data` as Jekyll does: every `.yml`, `.yaml`, `.json`, `.csv` and `.tsv` file under
 * `_data/`, keyed by its name without extension, subfolders becoming nested mappings
 * (`_data/team/leads.csv` → `site.data.team.leads`). CSV and TSV files become lists of rows keyed by
 * their header line, every value a string, as Ruby's `CSV` gives them.
 *
 * @throws {ContentError} naming the file (and line) of every file that does not parse.
 */
export async function readSiteData(files: SiteFiles): Promise<Record<string, unknown>> {
  const data: Record<string, unknown> = {};
  const problems: ContentProblem[] = [];
  for (const path of await files.list(DATA_DIR)) {
    if (!DATA_FILE.test(path)) continue;
    const rel = path.slice(DATA_DIR.length).split('/');
    if (rel.some((part) => part.startsWith('.') || part.startsWith('_'))) continue;
    const text = (await files.read(path)) ?? '';
    let value: unknown;
    try {
      value = parseDataFile(path, text);
    } catch (error) {
      problems.push(dataProblem(path, error));
      continue;
    }
    let scope = data;
    for (const folder of rel.slice(0, -1).map(sanitizeName)) {
      const next = scope[folder];
      scope[folder] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {};
      scope = scope[folder] as Record<string, unknown>;
    }
    const file = rel[rel.length - 1] ?? '';
    scope[sanitizeName(file.replace(/\.[^.]+$/, ''))] = value;
  }
  if (problems.length > 0) throw new ContentError(problems);
  return data;
}

function parseDataFile(path: string, text: string): unknown {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'csv' || ext === 'tsv') {
    return parseCsv(text.replace(/^\uFEFF/, ''), {
      columns: true,
      delimiter: ext === 'tsv' ? '\t' : ',',
      skip_empty_lines: true,
      relax_column_count: true,
    }) as Record<string, string>[];
  }
  if (ext === 'json') return JSON.parse(text) as unknown;
  return readYaml(text).data ?? null;
}

function dataProblem(file: string, error: unknown): ContentProblem {
  if (error instanceof YamlSyntaxError) {
    return {
      file,
      ...(error.line === undefined ? {} : { line: error.line }),
      message: `invalid YAML: ${error.message}`,
    };
  }
  const line = (error as { lines?: unknown }).lines;
  const message = error instanceof Error ? error.message : String(error);
  return {
    file,
    ...(typeof line === 'number' ? { line } : {}),
    message: `cannot read data file: ${message}`,
  };
}

/** Jekyll's DataReader#sanitize_filename: drops punctuation, turns blanks into `_`. */
function sanitizeName(name: string): string {
  return name.replace(/[^\w\s-]+|(?<=^|\b\s)\s+(?=$|\s?\b)/g, '').replace(/\s+/g, '_');
}
