/**
 * `herald subscribers export|import|remove|count`: the operator's tools for the subscriber table.
 * Talks to DynamoDB directly (table from `--table` or `TABLE_NAME`; endpoint from the AWS SDK's
 * usual environment, e.g. `AWS_ENDPOINT_URL_DYNAMODB` for the local stand-in).
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { SubscriberStore } from '../adapters/subscriber-store.ts';
import { addressHash, normalizeEmailAddress } from '../core/email-address.ts';
import { printable, printableLines } from '../core/printable.ts';
import type { ConsentRecord, Subscriber } from '../core/subscriber.ts';
import { EVERYTHING, TOPIC_ID } from '../core/topics.ts';
import type { ConfirmationMailer } from '../wiring/confirmation-mailer-deps.ts';

// The AWS SDK and the handlers' wiring load inside the actions, so `herald subscribers --help` stays
// as quick as `herald --help` (tests/cli/compiled-cli.test.ts).
const storeModule = () => import('../adapters/subscriber-store.ts');

/** Seams for tests and the local runtime; each defaults to the real thing. */
export interface SubscriberCommandContext {
  store?: (table: string | undefined) => SubscriberStore | Promise<SubscriberStore>;
  /** Deps for sending double opt-in invitations (`import` without `--consented`), sent at once. */
  subscriptionDeps?: () => Promise<ConfirmationMailer>;
  now?: () => Date;
  newId?: () => string;
  /** Where reports go (default stdout). */
  print?: (line: string) => void;
}

/** Something the operator must fix (bad file, missing table name). */
export class SubscriberCommandError extends Error {
  override name = 'SubscriberCommandError';
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((cell) => cell.trim() !== ''));
}

function csvCell(value: unknown): string {
  const text =
    value === undefined || value === null ? '' : value instanceof Date ? value.toISOString() : String(value);
  // Leading = + - @ would run as formulas when an operator opens the export in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

// Column names used by Mailchimp, Buttondown, Substack, ConvertKit/Kit, MailerLite and plain lists.
const EMAIL_COLUMNS = [
  'email address',
  'email',
  'e-mail',
  'e-mail address',
  'email_address',
  'emailaddress',
  'subscriber',
];
const OPTIN_TIME_COLUMNS = [
  'optin_time',
  'created_at',
  'creation_date',
  'subscribed_at',
  'date_added',
  'created',
];
const OPTIN_IP_COLUMNS = ['optin_ip', 'ip', 'ip_address', 'signup_ip'];
const CONFIRM_TIME_COLUMNS = ['confirm_time', 'confirmed_at'];
const CONFIRM_IP_COLUMNS = ['confirm_ip'];
const STATUS_COLUMNS = ['status', 'subscriber_status', 'state', 'type'];
// Herald's own export: topic ids separated by spaces; empty = everything.
const TOPICS_COLUMNS = ['topics'];
const OPTED_OUT = new Set([
  'unsubscribed',
  'cleaned',
  'bounced',
  'complained',
  'inactive',
  'spam',
  'deleted',
]);

function columnIndex(header: string[], names: string[]): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const name of names) {
    const i = lower.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}

function parseDate(value: string | undefined): Date | undefined {
  if (!value?.trim()) return undefined;
  // Newsletter tools export naive timestamps in UTC.
  const text = value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2');
  const d = new Date(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** One row of an import file, after reading. */
export interface ImportRow {
  line: number;
  email: string;
  optedOut: boolean;
  optinAt?: Date;
  optinIp?: string;
  confirmedAt?: Date;
  confirmIp?: string;
  /** Topic ids from a `topics` column; undefined = everything. */
  topics?: string[];
  /** A `topics` cell that is not a list of topic ids. */
  badTopics?: string;
}

/** Reads a `topics` cell: ids separated by spaces or commas; empty = everything. */
function readTopicsCell(cell: string | undefined): { topics?: string[]; bad?: string } {
  const ids = (cell ?? '').split(/[\s,;]+/).filter((id) => id !== '');
  if (ids.length === 0 || (ids.length === 1 && ids[0] === 'everything')) return {};
  const bad = ids.find((id) => !TOPIC_ID.test(id));
  return bad === undefined ? { topics: [...new Set(ids)].sort() } : { bad };
}

/** Reads an export from a common newsletter tool (or a one-column list of addresses). */
export function readImportCsv(text: string, file: string): ImportRow[] {
  const rows = parseCsv(text);
  const header = rows[0] ?? [];
  let emailAt = columnIndex(header, EMAIL_COLUMNS);
  let body = rows.slice(1);
  let firstLine = 2;
  if (emailAt < 0) {
    // No header: a plain list with the address in the first column.
    if (header[0]?.includes('@')) {
      emailAt = 0;
      body = rows;
      firstLine = 1;
    } else {
      throw new SubscriberCommandError(
        `${file}:1: no email column; expected one of: ${EMAIL_COLUMNS.map((c) => `"${c}"`).join(', ')}`,
      );
    }
  }
  const at = (names: string[]) => (body === rows ? -1 : columnIndex(header, names));
  const [optinTime, optinIp, confirmTime, confirmIp, status, topicsAt] = [
    at(OPTIN_TIME_COLUMNS),
    at(OPTIN_IP_COLUMNS),
    at(CONFIRM_TIME_COLUMNS),
    at(CONFIRM_IP_COLUMNS),
    at(STATUS_COLUMNS),
    at(TOPICS_COLUMNS),
  ];
  const cell = (row: string[], i: number) => (i >= 0 ? row[i]?.trim() || undefined : undefined);
  return body.map((row, i) => {
    const topics = readTopicsCell(cell(row, topicsAt));
    return {
      line: firstLine + i,
      email: row[emailAt] ?? '',
      optedOut: OPTED_OUT.has((cell(row, status) ?? '').toLowerCase()),
      optinAt: parseDate(cell(row, optinTime)),
      optinIp: cell(row, optinIp),
      confirmedAt: parseDate(cell(row, confirmTime)),
      confirmIp: cell(row, confirmIp),
      ...(topics.topics ? { topics: topics.topics } : {}),
      ...(topics.bad !== undefined ? { badTopics: topics.bad } : {}),
    };
  });
}

/** Registers `herald subscribers …` on the program. */
export function registerSubscriberCommands(program: Command, context: SubscriberCommandContext = {}): void {
  const print = context.print ?? ((line: string) => console.log(printableLines(line)));
  const now = context.now ?? (() => new Date());
  const newId = context.newId ?? randomUUID;
  const openStore =
    context.store ??
    (async (table: string | undefined) => {
      const { resolveTable } = await import('./local-tables.ts');
      const target = await resolveTable({ table, envName: 'TABLE_NAME', kind: 'subscribers' });
      if (!target)
        throw new SubscriberCommandError(
          'no subscriber table: pass --table NAME, set TABLE_NAME, or run `npm start` on this machine',
        );
      return (await storeModule()).createSubscriberStore(target);
    });

  const subscribers = program
    .command('subscribers')
    .description('export, import, remove or count newsletter subscribers')
    .option('--table <name>', 'DynamoDB table (default: $TABLE_NAME, else the running `npm start`)');
  const tableOf = () => subscribers.opts<{ table?: string }>().table;

  subscribers
    .command('export')
    .description('write every subscriber with its consent evidence as CSV or JSON')
    .option('--format <format>', 'csv or json', 'csv')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (options: { format: string; output?: string }) => {
      if (options.format !== 'csv' && options.format !== 'json') {
        throw new SubscriberCommandError(`--format must be csv or json, not "${options.format}"`);
      }
      const store = await openStore(tableOf());
      const { isSubscriber } = await storeModule();
      const records: Record<string, unknown>[] = [];
      for await (const record of store.scanAll()) {
        if (!isSubscriber(record)) continue; // tombstones hold no personal data, only a hash
        records.push(exportRecord(record));
      }
      records.sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
      const columns = Object.keys(exportRecord(undefined));
      const text =
        options.format === 'json'
          ? `${JSON.stringify(records, null, 2)}\n`
          : `${[columns.join(','), ...records.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n')}\n`;
      if (options.output) {
        await writeFile(options.output, text, { mode: 0o600 });
        console.error(`wrote ${records.length} subscribers to ${options.output}`);
      } else process.stdout.write(text);
    });

  subscribers
    .command('import')
    .description('import a CSV export; without --consented every address is invited by double opt-in')
    .argument('<file>', 'CSV with an email column (Mailchimp, Buttondown, Substack, Kit… exports work)')
    .option('--consented', 'the file records prior consent: add as confirmed without asking again')
    .option('--consent-text-version <version>', 'consent wording version to record', 'import')
    .action(async (file: string, options: { consented?: boolean; consentTextVersion: string }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new SubscriberCommandError(`${file}: cannot read the import file`, { cause: error });
      }
      const rows = readImportCsv(text, file);
      const store = await openStore(tableOf());
      const deps = options.consented ? undefined : await (context.subscriptionDeps ?? depsFromEnv)();
      const { requestSubscription } = await import('../app/request-subscription.ts');
      const source = `import:${basename(file)}`;
      const counts = { added: 0, invited: 0, skipped: 0, invalid: 0, optedOut: 0 };
      for (const row of rows) {
        const address = normalizeEmailAddress(row.email);
        if (!address.ok) {
          counts.invalid++;
          console.error(
            printable(`${file}:${row.line}: skipped "${row.email.slice(0, 80)}": ${address.problem}`),
          );
          continue;
        }
        if (row.optedOut) {
          counts.optedOut++;
          continue;
        }
        const known = deps?.topics ?? [];
        const unknownTopic =
          row.badTopics ??
          (known.length > 0 ? row.topics?.find((id) => !known.some((t) => t.id === id)) : undefined);
        if (unknownTopic !== undefined) {
          counts.invalid++;
          console.error(
            `${file}:${row.line}: skipped "${row.email.slice(0, 80)}": unknown topic "${unknownTopic.slice(0, 40)}"`,
          );
          continue;
        }
        const at = now();
        if (deps) {
          const consent: ConsentRecord = {
            at,
            source,
            method: 'double-opt-in',
            textVersion: options.consentTextVersion,
          };
          const { sent } = await requestSubscription(deps, {
            email: address.address,
            consent,
            now: at,
            ...(row.topics ? { topics: row.topics } : {}),
          });
          if (sent) counts.invited++;
          else counts.skipped++;
          continue;
        }
        const hash = addressHash(address.address);
        if ((await store.findByAddressHash(hash)) !== undefined) {
          counts.skipped++; // never overwrite: an unsubscribe or suppression here must stand
          continue;
        }
        const confirmedAt = row.confirmedAt ?? row.optinAt ?? at;
        const sub: Subscriber = {
          id: newId(),
          email: address.address,
          addressHash: hash,
          status: 'confirmed',
          createdAt: at,
          updatedAt: at,
          confirmedAt,
          softBounces: 0,
          consent: {
            at: row.optinAt ?? confirmedAt,
            source,
            method: 'import',
            ip: row.optinIp,
            textVersion: options.consentTextVersion,
            confirmedAt,
            confirmIp: row.confirmIp,
          },
          ...(row.topics ? { topics: row.topics } : {}),
          version: 1,
        };
        if ((await store.save(sub)) === 'saved') counts.added++;
        else counts.skipped++;
      }
      print(
        `imported ${rows.length} rows: ${counts.added} added as confirmed, ${counts.invited} invited, ` +
          `${counts.skipped} already known, ${counts.optedOut} opted out, ${counts.invalid} invalid`,
      );
    });

  subscribers
    .command('remove')
    .description('erase an address: deletes personal data, keeps a suppression hash so it is never mailed')
    .argument('<email>', 'the address to erase')
    .action(async (email: string) => {
      const address = normalizeEmailAddress(email);
      const raw = address.ok ? address.address : email.trim();
      const store = await openStore(tableOf());
      const existed = await store.erase(addressHash(raw), now());
      print(
        existed
          ? `erased ${raw}; the address stays suppressed`
          : `no subscriber ${raw}; suppression recorded`,
      );
    });

  subscribers
    .command('count')
    .description('count subscribers by status, and confirmed readers per topic')
    .action(async () => {
      const store = await openStore(tableOf());
      const { isSubscriber } = await storeModule();
      const counts = { confirmed: 0, pending: 0, unsubscribed: 0, suppressed: 0 };
      const perTopic = new Map<string, number>();
      for await (const record of store.scanAll()) {
        counts[isSubscriber(record) ? record.status : 'suppressed']++;
        if (isSubscriber(record) && record.status === 'confirmed') {
          for (const topic of record.topics ?? [EVERYTHING])
            perTopic.set(topic, (perTopic.get(topic) ?? 0) + 1);
        }
      }
      print(
        `${counts.confirmed} confirmed, ${counts.pending} pending, ${counts.unsubscribed} unsubscribed, ${counts.suppressed} suppressed`,
      );
      // Only once someone chose topics: a site without topics prints what it always printed.
      if ([...perTopic.keys()].some((topic) => topic !== EVERYTHING)) {
        const everything = perTopic.get(EVERYTHING) ?? 0;
        perTopic.delete(EVERYTHING);
        const topics = [...perTopic.entries()].sort(([a], [b]) => a.localeCompare(b));
        print(
          `confirmed per topic: everything ${everything}, ${topics.map(([topic, n]) => `${topic} ${n}`).join(', ')}`,
        );
      }
    });
}

function exportRecord(sub: Subscriber | undefined): Record<string, unknown> {
  return {
    id: sub?.id,
    email: sub?.email,
    status: sub?.status,
    createdAt: sub?.createdAt.toISOString(),
    confirmedAt: sub?.confirmedAt?.toISOString(),
    unsubscribedAt: sub?.unsubscribedAt?.toISOString(),
    suppressedAt: sub?.suppressedAt?.toISOString(),
    suppressionReason: sub?.suppressionReason,
    consentAt: sub?.consent.at.toISOString(),
    consentSource: sub?.consent.source,
    consentMethod: sub?.consent.method,
    consentIp: sub?.consent.ip,
    consentUserAgent: sub?.consent.userAgent,
    consentTextVersion: sub?.consent.textVersion,
    consentConfirmedAt: sub?.consent.confirmedAt?.toISOString(),
    consentConfirmIp: sub?.consent.confirmIp,
    // Space-separated topic ids; empty = everything. `import` reads the same column back.
    topics: sub?.topics?.join(' '),
  };
}

async function depsFromEnv(): Promise<ConfirmationMailer> {
  const { loadSubscriptionConfig } = await import('../wiring/config.ts');
  const { buildConfirmationMailerDeps } = await import('../wiring/confirmation-mailer-deps.ts');
  const { createLogger } = await import('../wiring/subscription-deps.ts');
  return buildConfirmationMailerDeps(loadSubscriptionConfig(process.env), createLogger());
}
