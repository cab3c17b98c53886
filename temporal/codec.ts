// PII never reaches Temporal's history in clear: every payload is encrypted with AES-256-GCM. The key id
// travels in the payload's metadata, so keys rotate: new payloads use the current key, old ones still decode.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { decode, encode } from '@temporalio/common/lib/encoding';
import proto from '@temporalio/proto';
import { fileURLToPath } from 'node:url';

const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

export interface PayloadKeys {
  currentKeyId: string;
  keys: Map<string, Buffer>;
}

/** TUANWU_PAYLOAD_KEYS="id1:base64key,id2:base64key" (32-byte keys); TUANWU_PAYLOAD_KEY_ID picks the current one. */
export function payloadKeysFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadKeys {
  const spec = env.TUANWU_PAYLOAD_KEYS;
  if (!spec) throw new Error('TUANWU_PAYLOAD_KEYS is not set: the payload encryption key (id:base64 of 32 bytes)');
  const keys = new Map<string, Buffer>();
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = part.indexOf(':');
    const id = part.slice(0, i);
    const key = Buffer.from(part.slice(i + 1), 'base64');
    if (i <= 0 || key.length !== 32) throw new Error(`TUANWU_PAYLOAD_KEYS: "${id || part.slice(0, 8)}…" is not id:base64 of a 32-byte key`);
    keys.set(id, key);
  }
  const currentKeyId = env.TUANWU_PAYLOAD_KEY_ID ?? [...keys.keys()].at(-1)!;
  if (!keys.has(currentKeyId)) throw new Error(`TUANWU_PAYLOAD_KEY_ID=${currentKeyId} is not among TUANWU_PAYLOAD_KEYS`);
  return { currentKeyId, keys };
}

export function newPayloadKeySpec(id = `k${Date.now().toString(36)}`): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly k: PayloadKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.k.keys.get(this.k.currentKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encode(this.k.currentKeyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!payload.metadata || decode(payload.metadata[METADATA_ENCODING_KEY]!) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata[KEY_ID_METADATA];
      if (!keyIdBytes || !payload.data) throw new ValueError('encrypted payload without key id or data');
      const keyId = decode(keyIdBytes);
      const key = this.k.keys.get(keyId);
      if (!key) throw new ValueError(`no payload key "${keyId}" (keep retired keys in TUANWU_PAYLOAD_KEYS to read old histories)`);
      const data = Buffer.from(payload.data);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** Failure messages and stack traces go into an encoded payload too (encodeCommonAttributes). */
export const failureConverterPath = fileURLToPath(new URL('../workflows/failure-converter.cjs', import.meta.url));

export function createDataConverter(keys: PayloadKeys): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)], failureConverterPath };
}
