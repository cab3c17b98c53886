// Member data after check-in (R5, R7): a reviewed change, a join-date correction, the province's window.
import { z } from 'zod';
import { JoinDateRequest, JoinDateWindowBody, MemberChangeRequest } from '../domain/member-data';

export { JoinDateRequest, JoinDateWindowBody, MemberChangeRequest };

export const ChangeCreated = z.object({
  processId: z.uuid(),
  memberId: z.uuid(),
  status: z.literal('pending'),
  step: z.string(),
  deadline: z.string(),
  fields: z.record(z.string(), z.unknown()),
});
export type ChangeCreated = z.infer<typeof ChangeCreated>;

export const JoinDateCreated = z.object({
  processId: z.uuid(),
  memberId: z.uuid(),
  status: z.literal('pending'),
  step: z.string(),
  deadline: z.string(),
  route: z.enum(['window', 'formal']),
});
export type JoinDateCreated = z.infer<typeof JoinDateCreated>;

/** R7: the province's current correction window, and whether it is open today. */
export const WindowView = z.object({ id: z.uuid(), opensOn: z.string(), closesOn: z.string(), open: z.boolean() });
export type JoinDateWindow = z.infer<typeof WindowView>;
export const WindowAnswer = z.object({ window: WindowView.nullable() });
export type WindowAnswer = z.infer<typeof WindowAnswer>;
