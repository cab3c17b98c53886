// The bench's data, written once per run: the organization tree every figure uses, and the read model's processes.
import { sql } from 'kysely';
import { ADMIN_TOKEN, call, type System } from '../test/system';
import type { BenchSizes, BenchTree } from './figure';

/** A province of BENCH_ORGS organizations: 20 cities, 10 counties each, schools, and branches below them. */
export async function seedTree(s: System, sizes: BenchSizes, log: (s: string) => void): Promise<BenchTree> {
  const t0 = Date.now();
  const rows: {
    id: string;
    parent_id: string | null;
    path: string;
    depth: number;
    name: string;
    kind: 'committee' | 'branch';
    special_kind: 'none';
    contact_phone: string;
  }[] = [];
  const add = (id: string, parent: (typeof rows)[number] | null, kind: 'committee' | 'branch') => {
    const row = {
      id,
      parent_id: parent?.id ?? null,
      path: `${parent?.path ?? ''}${id}/`,
      depth: (parent?.depth ?? -1) + 1,
      name: id,
      kind,
      special_kind: 'none' as const,
      contact_phone: '020-12345678',
    };
    rows.push(row);
    return row;
  };
  const province = add('bp', null, 'committee');
  const cities = Array.from({ length: 20 }, (_, c) => add(`bp-c${c}`, province, 'committee'));
  const counties = cities.flatMap((city, c) => Array.from({ length: 10 }, (_, k) => add(`bp-c${c}-k${k}`, city, 'committee')));
  const perCounty = Math.max(1, Math.ceil((sizes.orgs - rows.length) / counties.length / 25));
  const branches: BenchTree['branches'] = [];
  for (const county of counties) {
    for (let sc = 0; sc < perCounty; sc++) {
      const school = add(`${county.id}-s${sc}`, county, 'committee');
      for (let b = 0; b < 24; b++) {
        const br = add(`${school.id}-b${b}`, school, 'branch');
        branches.push({ id: br.id, path: br.path, parent: school.id });
      }
    }
  }
  for (let i = 0; i < rows.length; i += 5000)
    await s.db
      .insertInto('organizations')
      .values(rows.slice(i, i + 5000))
      .execute();
  const token = async (role: string, orgId: string) =>
    (await call(s.app, 'POST', '/api/actors', ADMIN_TOKEN, { role, orgId, label: 'bench' })).body.token as string;
  const secBranch = branches[0]!.id;
  const tokens = {
    city: await Promise.all(cities.map((c) => token('committee_admin', c.id))),
    county: await Promise.all(counties.slice(0, 20).map((c) => token('committee_admin', c.id))),
  };
  log(`seeded ${rows.length} organizations (${branches.length} branches) in ${Date.now() - t0} ms`);
  return {
    orgCount: rows.length,
    branches,
    cities: cities.map((c) => c.id),
    counties: counties.map((c) => c.id),
    sec: await token('branch_secretary', secBranch),
    secBranch,
    tokens,
  };
}

/** BENCH_PROCESSES rows in the read model over the tree's branches (10 % open, 2 % overdue), (once per run: Bench.seedProcesses). */
export async function seedProcesses(sys: System, sizes: BenchSizes, log: (s: string) => void): Promise<void> {
  const t0 = Date.now();
  await sql`create temp table bench_branches as select (row_number() over ()) - 1 as n, id, path from organizations where id like 'bp-%' and kind = 'branch'`.execute(
    sys.db,
  );
  await sql`insert into processes (id, kind, workflow_id, member_id, org_id, org_path, status, step, step_since, deadline, overdue, started_at, closed_at, updated_at)
    select gen_random_uuid(), 'check-in', 'seed-' || g, null, b.id, b.path,
      case when r < 0.90 then 'approved' else 'pending' end,
      case when r < 0.90 then 'closed' else 'branch-review' end,
      now() - (g % 1000) * interval '1 minute', now() + interval '3 days', r >= 0.98,
      now() - (g % 1000) * interval '1 minute', case when r < 0.90 then now() else null end, now()
    from (select g, random() as r from generate_series(1, ${sizes.processes}) g) s
    join bench_branches b on b.n = s.g % (select count(*) from bench_branches)`.execute(sys.db);
  await sql`analyze processes`.execute(sys.db);
  log(`seeded ${sizes.processes} processes in ${Date.now() - t0} ms`);
}
