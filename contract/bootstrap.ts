// Accounts: an actor (a role at an organization, or a member's own) and its bearer token, shown once.
import { z } from 'zod';
import { Role } from '../domain/authz';
import { OrgId } from '../domain/orgs';
import { singleLine } from '../domain/text';

export const ActorInput = z.object({
  role: Role,
  orgId: OrgId.nullable().optional(),
  memberId: z.uuid().nullable().optional(),
  label: singleLine(100),
});
export type ActorInput = z.infer<typeof ActorInput>;

export const ActorCreated = z.object({ id: z.uuid(), role: Role, orgId: z.string().nullable(), token: z.string() });
export type ActorCreated = z.infer<typeof ActorCreated>;
