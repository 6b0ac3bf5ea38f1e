import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenKeysFile, parseTokenKeys, TokenKeysError } from '../../functions/adapters/token-keys.ts';
import { signToken, verifyToken } from '../../functions/core/tokens.ts';

async function tempDir() {
  return mkdtemp(join(tmpdir(), 'herald-keys-'));
}

describe('loadTokenKeysFile', () => {
  it('generates a private key file on first use and reads the same keys afterwards', async () => {
    const file = join(await tempDir(), 'nested', 'token-keys.json');

    const created = await loadTokenKeysFile(file, { create: true });
    const again = await loadTokenKeysFile(file);

    expect(again).toEqual(created);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const token = signToken(created, {
      purpose: 'confirm',
      subscriberId: 's1',
      issuedAt: new Date('2026-01-01Z'),
    });
    expect(verifyToken(again, token, { purpose: 'confirm', now: new Date('2026-01-01Z') }).ok).toBe(true);
    expect(JSON.parse(await readFile(file, 'utf8')).currentKeyId).toBe('k1');
  });

  it('rejects a short key, naming the file and the field', async () => {
    const file = join(await tempDir(), 'keys.json');
    await writeFile(
      file,
      JSON.stringify({ currentKeyId: 'k1', keys: { k1: Buffer.alloc(8).toString('base64') } }),
    );

    const load = loadTokenKeysFile(file);

    await expect(load).rejects.toThrow(TokenKeysError);
    await expect(load).rejects.toThrow(
      `${file}: invalid token keys: keys.k1: must decode to at least 32 bytes`,
    );
  });

  it('rejects a current key id that is not in the key set', async () => {
    const file = join(await tempDir(), 'keys.json');
    await writeFile(
      file,
      JSON.stringify({ currentKeyId: 'k2', keys: { k1: Buffer.alloc(32).toString('base64') } }),
    );

    await expect(loadTokenKeysFile(file)).rejects.toThrow('currentKeyId must name one of keys');
  });

  it('reports a missing file without creating it unless asked', async () => {
    const file = join(await tempDir(), 'absent.json');

    await expect(loadTokenKeysFile(file)).rejects.toThrow(`${file}: cannot read token keys`);
  });
});

describe('parseTokenKeys', () => {
  it('reads the flat secret CloudFormation generates as one key set', () => {
    // What generateSecretString with generateStringKey 'k1' produces (64 alphanumerics).
    const flat = { currentKeyId: 'k1', k1: 'Ab3'.repeat(21).concat('x') };

    const keys = parseTokenKeys(flat, 'secret herald-token-keys');

    expect(keys).toEqual({ currentKeyId: 'k1', keys: { k1: flat.k1 } });
    expect(() => parseTokenKeys({ currentKeyId: 'k2', k1: flat.k1 }, 'secret x')).toThrow(
      /secret x: invalid token keys: .*currentKeyId must name one of keys/,
    );
  });
});
