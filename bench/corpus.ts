import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Deterministic pseudo-random numbers so every run benchmarks the same corpus. */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const TAGS = [
  'berlin',
  'lisbon',
  'seoul',
  'tokyo',
  'paris',
  'nyc',
  'sf',
  'bangalore',
  'sao-paulo',
  'nairobi',
  'kv-cache',
  'quantization',
  'batching',
  'speculative-decoding',
  'lora',
  'moe',
  'tpu',
  'npu',
  'gpu',
  'rocm',
  'cuda',
  'observability',
  'kubernetes',
  'community',
  'workshop',
  'panel',
  'benchmarks',
  'compilers',
  'scheduling',
  'multimodal',
];
const WORDS =
  'model serving latency throughput cache batch scheduler kernel memory tokens request queue prefill decode speaker slides demo question audience community release benchmark cluster node accelerator compiler quantized weights evaluation dataset prompt context window pipeline'.split(
    ' ',
  );
const PEOPLE = ['Aylin Demir', 'Jonas Weber', 'Rita Santos', 'Min-jun Park', 'Chloé Martin', 'Kwame Mensah'];

// A 1×1 PNG: enough for the asset copier to have real bytes.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

function sentence(rand: () => number, words = 12 + Math.floor(rand() * 14)): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rand() * WORDS.length)] ?? 'model');
  const first = out[0] ?? 'model';
  out[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${out.join(' ')}.`;
}

function paragraph(rand: () => number): string {
  return Array.from({ length: 3 + Math.floor(rand() * 4) }, () => sentence(rand)).join(' ');
}

function picture(slug: string, n: number): string {
  return `<p align="center">\n<picture>\n<img src="/assets/recaps/${slug}/photo-${n}.png" width="100%">\n</picture><br>\n</p>`;
}

/** One recap of realistic size (~6–9 KB of Markdown): pictures, talks, a table, code, lists, an alert. */
function post(rand: () => number, slug: string, i: number): string {
  const speakers = [0, 1, 2].map((k) => PEOPLE[(i + k) % PEOPLE.length] ?? 'Ada');
  const parts = [
    picture(slug, 1),
    paragraph(rand),
    paragraph(rand),
    'What stood out:',
    '',
    `- ${sentence(rand, 8)}\n- ${sentence(rand, 10)}\n- ${sentence(rand, 7)}`,
    '## Talks',
  ];
  speakers.forEach((speaker, k) => {
    parts.push(`### Talk ${k + 1}: ${sentence(rand, 5).slice(0, -1)} — ${speaker}`, paragraph(rand));
    if (k === 0) {
      parts.push(
        '| Scheduler | p50 latency | p99 latency |\n| --------- | ----------: | ----------: |\n' +
          ['static', 'dynamic', 'continuous']
            .map((s) => `| ${s} | ${Math.floor(rand() * 400 + 100)} ms | ${(rand() * 3).toFixed(1)} s |`)
            .join('\n'),
      );
    }
    if (k === 1) {
      parts.push(
        '```python\nfrom serving import Engine\n\nengine = Engine(model="example/model-7b", max_batch=64)\nfor out in engine.generate(["Hello"], max_tokens=32):\n    print(out.text)\n```',
        picture(slug, 2),
      );
    }
    parts.push(paragraph(rand));
  });
  parts.push(
    '## Links',
    `- [Slides](https://example.org/slides/${slug}.pdf)\n- [Recording](https://video.example.org/${slug})\n- [Next meetup](/subscribe.html)`,
    `> [!NOTE]\n> ${sentence(rand)}`,
    paragraph(rand),
  );
  return parts.join('\n\n');
}

/** The same recaps as a Jekyll blog (`_config.yml` + `_posts/`, minima, jekyll-feed): what both tools build in the bench. */
export async function writeJekyllCorpus(
  dir: string,
  count: number,
  newest?: Date,
): Promise<{ bytes: number }> {
  const { bytes } = await writeCorpus(dir, count, newest);
  await rename(join(dir, 'posts'), join(dir, '_posts'));
  await rm(join(dir, 'site.yml'));
  await writeFile(
    join(dir, '_config.yml'),
    [
      'title: Bench Meetups',
      'description: Synthetic recaps for the Herald benchmark.',
      'url: https://bench.example.org',
      'baseurl: ""',
      'timezone: Europe/Berlin',
      'author:',
      '  name: Bench Organisers',
      'theme: minima',
      'markdown: kramdown',
      'plugins:',
      '  - jekyll-feed',
      'herald:',
      '  newsletter:',
      '    from_address: news@bench.example.org',
      '    from_name: Bench Meetups',
      '    postal_address: Example Street 1, 10115 Berlin, Germany',
      '',
    ].join('\n'),
  );
  return { bytes };
}

/**
 * Writes a Herald content folder with `count` recaps, one per day going back from `newest`
 * (default 2026-11-30), tagged from a pool of 30 tags. Returns the number of Markdown bytes written.
 */
export async function writeCorpus(dir: string, count: number, newest?: Date): Promise<{ bytes: number }> {
  const rand = lcg(count);
  await mkdir(join(dir, 'posts'), { recursive: true });
  await mkdir(join(dir, 'assets', 'recaps'), { recursive: true });
  await writeFile(
    join(dir, 'site.yml'),
    [
      'title: Bench Meetups',
      'description: Synthetic recaps for the Herald benchmark.',
      'url: https://bench.example.org',
      'baseurl: ""',
      'language: en',
      'timezone: Europe/Berlin',
      'author:',
      '  name: Bench Organisers',
      'feed:',
      '  limit: 20',
      'newsletter:',
      '  from_address: news@bench.example.org',
      '  from_name: Bench Meetups',
      '  postal_address: Example Street 1, 10115 Berlin, Germany',
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'assets', 'logo.png'), PNG);
  let bytes = 0;
  const start = newest
    ? Date.UTC(newest.getUTCFullYear(), newest.getUTCMonth(), newest.getUTCDate())
    : Date.UTC(2026, 10, 30);
  const batch: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const day = new Date(start - i * 86_400_000).toISOString().slice(0, 10);
    const slug = `meetup-${i}`;
    const tags = [...new Set([0, 1, 2].map(() => TAGS[Math.floor(rand() * TAGS.length)] ?? 'community'))];
    const front = [
      '---',
      'layout: post',
      `title: "Meetup ${i}: ${sentence(rand, 5).slice(0, -1)}"`,
      `author: "${PEOPLE[i % PEOPLE.length]}"`,
      `summary: "${sentence(rand, 18)}"`,
      ...(i % 3 === 0 ? [`image: /assets/recaps/${slug}/photo-1.png`] : []),
      `tags: [${tags.join(', ')}]`,
      '---',
      '',
    ].join('\n');
    const text = `${front}${post(rand, slug, i)}\n`;
    bytes += Buffer.byteLength(text);
    batch.push(writeFile(join(dir, 'posts', `${day}-${slug}.md`), text));
    if (batch.length >= 200) await Promise.all(batch.splice(0));
    if (i % 50 === 0) {
      await mkdir(join(dir, 'assets', 'recaps', slug), { recursive: true });
      await writeFile(join(dir, 'assets', 'recaps', slug, 'photo-1.png'), PNG);
    }
  }
  await Promise.all(batch);
  return { bytes };
}
