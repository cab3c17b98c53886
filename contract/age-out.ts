// R19: a member kept past the age limit (超龄) by the committee's exception, with its reason.
import { z } from 'zod';
import { AgeOutException } from '../domain/numbers';

export { AgeOutException };

export const AgeOutRecorded = z.object({ memberId: z.uuid(), reason: z.string() });
export type AgeOutRecorded = z.infer<typeof AgeOutRecorded>;
