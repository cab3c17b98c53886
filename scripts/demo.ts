// A small demo organization tree and its actors, created through the API on the first start.
import type { FastifyInstance } from 'fastify';
import { withIdCheckDigit } from '../domain/identifiers';

export const DEMO_ORGS = [
  { id: 'gd', parentId: null, name: '共青团广东省委', kind: 'committee', contactPhone: '020-87195000' },
  { id: 'gd-sz', parentId: 'gd', name: '共青团深圳市委', kind: 'committee' },
  { id: 'gd-gz', parentId: 'gd', name: '共青团广州市委', kind: 'committee' },
  { id: 'gd-sz-ft', parentId: 'gd-sz', name: '共青团深圳市福田区委', kind: 'committee' },
  { id: 'gd-gz-th', parentId: 'gd-gz', name: '共青团广州市天河区委', kind: 'committee' },
  { id: 'gd-sz-ft-sch1', parentId: 'gd-sz-ft', name: '福田某中学团委', kind: 'committee' },
  { id: 'gd-sz-ft-sch1-b1', parentId: 'gd-sz-ft-sch1', name: '高一(1)班团支部', kind: 'branch', contactPhone: '0755-83000001' },
  { id: 'gd-sz-ft-sch1-b2', parentId: 'gd-sz-ft-sch1', name: '高一(2)班团支部', kind: 'branch', contactPhone: '0755-83000002' },
  { id: 'gd-sz-ft-sch1-g2026', parentId: 'gd-sz-ft-sch1', name: '2026届毕业生团支部', kind: 'branch', specialKind: 'graduate', graduationDate: '2026-07-01' },
  { id: 'gd-gz-th-b1', parentId: 'gd-gz-th', name: '天河某社区团支部', kind: 'branch', contactPhone: '020-38000001' },
  { id: 'gd-gz-th-float', parentId: 'gd-gz-th', name: '天河区流动团员团支部', kind: 'branch', specialKind: 'floating' },
];

export const DEMO_ACTORS = [
  { role: 'province_admin', orgId: 'gd', label: 'province admin (团省委)' },
  { role: 'committee_admin', orgId: 'gd-sz', label: 'Shenzhen city admin' },
  { role: 'committee_admin', orgId: 'gd-gz-th', label: 'Tianhe county admin' },
  { role: 'committee_admin', orgId: 'gd-sz-ft-sch1', label: 'school committee admin' },
  { role: 'branch_secretary', orgId: 'gd-sz-ft-sch1-b1', label: 'secretary of 高一(1)班' },
  { role: 'branch_secretary', orgId: 'gd-sz-ft-sch1-b2', label: 'secretary of 高一(2)班' },
  { role: 'member', orgId: null, label: 'a member (not yet checked in)' },
];

export async function seedDemo(app: FastifyInstance, adminToken: string): Promise<{ label: string; role: string; orgId: string | null; token: string }[]> {
  const auth = { authorization: `Bearer ${adminToken}` };
  const imp = await app.inject({ method: 'POST', url: '/api/organizations/import', headers: auth, payload: { organizations: DEMO_ORGS } });
  if (imp.statusCode !== 200) throw new Error(`demo import failed: ${imp.body}`);
  const out = [];
  for (const a of DEMO_ACTORS) {
    const r = await app.inject({ method: 'POST', url: '/api/actors', headers: auth, payload: a });
    if (r.statusCode !== 201) throw new Error(`demo actor failed: ${r.body}`);
    out.push({ ...a, token: (r.json() as { token: string }).token });
  }
  // The demo check-in: waiting in the To do of 高一(1)班's secretary, to approve from the console (R1/R2).
  const secretary = out.find((a) => a.orgId === 'gd-sz-ft-sch1-b1')!;
  const checkIn = await app.inject({
    method: 'POST',
    url: '/api/check-ins',
    headers: { authorization: `Bearer ${secretary.token}`, 'idempotency-key': 'demo-check-in-1' },
    payload: {
      branchId: secretary.orgId,
      profile: { name: '李明', idNumber: withIdCheckDigit('44030420080512123'), joinDate: '2023-05-04', developmentNumber: '4403042023002' },
    },
  });
  if (checkIn.statusCode !== 201) throw new Error(`demo check-in failed: ${checkIn.body}`);
  return out;
}
