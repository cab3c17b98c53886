// The database schema as a TypeScript interface; kysely types every query from it. Each feature's tables live in
// db/schema/<feature>.ts; this module assembles `Database` and keeps every name importable from 'db/schema'.
import type { Insertable, Selectable } from 'kysely';
import type { CampaignTables } from './schema/campaigns';
import type { CoreTables, ActorsTable, EventsTable, MembersTable, OrganizationsTable, ProcessesTable } from './schema/core';
import type { MemberRecordTables } from './schema/member-records';
import type { TransferTables } from './schema/transfers';

export type * from './schema/campaigns';
export type * from './schema/core';
export type * from './schema/member-records';
export type * from './schema/transfers';

export interface Database extends CoreTables, TransferTables, MemberRecordTables, CampaignTables {}

export type Organization = Selectable<OrganizationsTable>;
export type Member = Selectable<MembersTable>;
export type Actor = Selectable<ActorsTable>;
export type ProcessRow = Selectable<ProcessesTable>;
export type NewEvent = Omit<Insertable<EventsTable>, 'payload'> & { payload?: Record<string, unknown> };
