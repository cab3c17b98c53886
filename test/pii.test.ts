// PII: histories are encrypted (payloads and failure messages), the codec endpoint decodes for province
// admins only, and logs never carry a full ID number.
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import proto from '@temporalio/proto';
import { ADMIN_TOKEN, call, dataConverter, payloadKeys, profile, useSystemWithTree } from './harness';
import { buildApp } from '../api/app';
import { EncryptionCodec } from '../temporal/codec';
import { checkIn } from '../workflows/check-in';
import { checkInWorkflowId } from '../domain/check-in';

const { temporal } = proto;

const ctx = useSystemWithTree();

async function rawHistory(workflowId: string): Promise<{ bytes: Buffer; history: proto.temporal.api.history.v1.IHistory }> {
  const res = await ctx.sys.env.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
  const history = res.history!;
  return { bytes: Buffer.from(temporal.api.history.v1.History.encode(history).finish()), history };
}

describe('PII in Temporal histories', () => {
  it('PII: the raw workflow history holds no plaintext ID number, name or return reason, yet decodes with the key', async () => {
    const prof = profile({ name: '欧阳隐私' });
    const created = await call(ctx.sys.app, 'POST', '/api/check-ins', ctx.tree.tokens.sec1, { branchId: ctx.tree.ids.branch1, profile: prof });
    expect(created.status).toBe(201);
    const reason = `请${prof.name}核对身份证号${prof.idNumber}`;
    const r = await call(ctx.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, ctx.tree.tokens.sec1, { action: 'return', reason });
    expect(r.status).toBe(200);
    const { bytes, history } = await rawHistory(checkInWorkflowId(created.body.memberId));
    for (const secret of [prof.idNumber, prof.name, prof.idNumber.slice(6, 14) + prof.idNumber.slice(14)]) {
      expect(bytes.includes(Buffer.from(secret, 'utf8'))).toBe(false);
    }
    // Control: the first payload decrypts to the input, name and ID number included.
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    const input = started.input!.payloads![0]!;
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');
    const [plain] = await new EncryptionCodec(payloadKeys).decode([input as never]);
    const text = Buffer.from(plain!.data!).toString('utf8');
    expect(text).toContain(prof.name);
    expect(text).toContain(prof.idNumber);
  });

  it('PII: a failure message is encoded too (encodeCommonAttributes)', async () => {
    // A second member record claiming an ID number that is taken: the activity fails with a message.
    const prof = profile({ name: '司马失败' });
    const first = await call(ctx.sys.app, 'POST', '/api/check-ins', ctx.tree.tokens.sec1, { branchId: ctx.tree.ids.branch1, profile: prof });
    expect(first.status).toBe(201);
    const memberId = randomUUID();
    const branch = await ctx.sys.db.selectFrom('organizations').selectAll().where('id', '=', ctx.tree.ids.branch1).executeTakeFirstOrThrow();
    const handle = await ctx.sys.env.client.workflow.start(checkIn, {
      workflowId: checkInWorkflowId(memberId),
      taskQueue: ctx.sys.config.taskQueue,
      args: [
        {
          processId: randomUUID(),
          memberId,
          branchId: branch.id,
          branchPath: branch.path,
          parentOrgId: branch.parent_id,
          submittedBy: 'test',
          linkActorId: null,
          profile: { ...prof, developmentNumber: undefined },
          timing: ctx.sys.config.timing.checkIn,
        },
      ],
    });
    expect((await handle.result()).status).toBe('rejected');
    const { bytes, history } = await rawHistory(handle.workflowId);
    // A remote activity's failure is an ActivityTaskFailed event; a local activity's, a marker.
    const failed = history.events!.map((e) => e.activityTaskFailedEventAttributes ?? e.markerRecordedEventAttributes).find((a) => a?.failure)!;
    expect(failed.failure!.message).toBe('Encoded failure');
    expect(bytes.includes(Buffer.from('already recorded'))).toBe(false);
    expect(bytes.includes(Buffer.from(prof.idNumber))).toBe(false);
    // The client, with the same converter, reads the real message.
    const decoded = await dataConverter.payloadCodecs![0]!.decode([failed.failure!.encodedAttributes as never]);
    expect(Buffer.from(decoded[0]!.data!).toString()).toContain('already recorded for another member');
  });
});

describe('codec endpoint for the Web UI', () => {
  it('PII: a province admin decodes payloads; a secretary gets 403; no token 401; the UI origin passes CORS', async () => {
    const [encoded] = await new EncryptionCodec(payloadKeys).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"张三"') }]);
    const body = {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from(encoded!.metadata!.encoding!).toString('base64'),
            'encryption-key-id': Buffer.from(encoded!.metadata!['encryption-key-id']!).toString('base64'),
          },
          data: Buffer.from(encoded!.data!).toString('base64'),
        },
      ],
    };
    const ok = await call(ctx.sys.app, 'POST', '/codec/decode', ctx.tree.tokens.province, body);
    expect(ok.status).toBe(200);
    expect(Buffer.from(ok.body.payloads[0].data, 'base64').toString()).toBe('"张三"');
    const viaUrl = await call(ctx.sys.app, 'POST', `/codec/t/${ctx.tree.tokens.province}/decode`, undefined, body, { origin: 'http://127.0.0.1:8233' });
    expect(viaUrl.status).toBe(200);
    expect((await call(ctx.sys.app, 'POST', '/codec/decode', ctx.tree.tokens.sec1, body)).status).toBe(403);
    expect((await call(ctx.sys.app, 'POST', '/codec/decode', undefined, body)).status).toBe(401);
    const pre = await ctx.sys.app.inject({ method: 'OPTIONS', url: '/codec/decode', headers: { origin: 'http://127.0.0.1:8233' } });
    expect(pre.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
    const foreign = await ctx.sys.app.inject({ method: 'OPTIONS', url: '/codec/decode', headers: { origin: 'http://evil.example' } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('logs', () => {
  it('PII: request logs show a masked ID number, never the full one', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const app = await buildApp({ db: ctx.sys.db, client: ctx.sys.env.client, config: ctx.sys.config }, { logger: true, logStream: stream });
    const id = profile().idNumber;
    const r = await app.inject({ method: 'GET', url: `/api/members/${id}?idNumber=${id}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(r.statusCode).toBe(400);
    await app.close();
    const all = lines.join('');
    expect(all).toContain(`${id.slice(0, 4)}************${id.slice(-2)}`);
    expect(all).not.toContain(id);
  });
});
