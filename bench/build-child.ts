// One build in a fresh process, so its peak memory is its own. Prints one JSON line.
import { runBuild } from '../functions/cli/build.ts';

const [contentDir, outDir, maxEmailsArg] = process.argv.slice(2);
if (!contentDir || !outDir) throw new Error('usage: build-child.ts CONTENT OUT [MAX_EMAILS]');
const maxEmails = maxEmailsArg === undefined || maxEmailsArg === 'all' ? undefined : Number(maxEmailsArg);

const started = performance.now();
const cpuBefore = process.cpuUsage();
const report = await runBuild({ contentDir, outDir, ...(maxEmails === undefined ? {} : { maxEmails }) });
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  `${JSON.stringify({
    wallMs,
    // CPU time is less disturbed than wall time when other work shares the machine.
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    posts: report.posts,
    pages: report.pages,
    feeds: report.feeds,
    siteFiles: report.siteFiles,
    emails: report.emails.length,
    emailsSkipped: report.emailsSkipped,
    bytes: report.bytes,
    phases: report.phases,
  })}\n`,
);
