// The end-to-end check-in load of figures 1 and 6.
import { call, profile, type System } from '../test/system';
import type { BenchTree } from './figure';
import { pool } from './stats';

/** Check-ins started, approved and visible in the read model through `on`'s API: check-ins/s at 20 in flight. */
export async function endToEnd(on: System, t: BenchTree, count: number): Promise<number> {
  const t0 = Date.now();
  await pool([...Array(count).keys()], 20, async () => {
    const r = await call(on.app, 'POST', '/api/check-ins', t.sec, { branchId: t.secBranch, profile: profile() });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    const d = await call(on.app, 'POST', `/api/processes/${r.body.processId}/decisions`, t.sec, { action: 'approve' });
    if (d.status !== 200) throw new Error(JSON.stringify(d.body));
    const row = await on.db.selectFrom('processes').select('status').where('id', '=', r.body.processId).executeTakeFirstOrThrow();
    if (row.status !== 'approved') throw new Error('not visible');
  });
  return (count * 1000) / (Date.now() - t0);
}
