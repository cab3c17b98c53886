// Members (contract/members.ts, member-data.ts, awards.ts, age-out.ts, application-forms.ts): the record and what
// is asked or recorded about it.
import type { HistoryPage, HistoryQuery, MemberPatch, MemberView } from '../../../contract/members';
import type { ChangeCreated, JoinDateCreated, JoinDateRequest, MemberChangeRequest } from '../../../contract/member-data';
import type { AwardBody, AwardList, AwardRecorded, AwardView, RevocationBody } from '../../../contract/awards';
import type { AgeOutException, AgeOutRecorded } from '../../../contract/age-out';
import type { FormView } from '../../../contract/application-forms';
import { api, seg, type BodyOf, type QueryOf } from './http';

export type { FieldChange, HistoryItem, HistoryPage, MemberView, PendingChange } from '../../../contract/members';
export type { ChangeCreated, JoinDateCreated } from '../../../contract/member-data';
export type { AwardView } from '../../../contract/awards';

const member = (id: string) => `/members/${seg(id)}`;

export const getMember = (id: string) => api.get<MemberView>(member(id));

export const patchMember = (id: string, body: BodyOf<typeof MemberPatch>) => api.patch<MemberView>(member(id), body);

export const memberHistory = (id: string, query: QueryOf<typeof HistoryQuery>) => api.get<HistoryPage>(`${member(id)}/history`, query);

/** R5: a reviewed change of the member's data. */
export const requestChange = (id: string, body: BodyOf<typeof MemberChangeRequest>) => api.post<ChangeCreated>(`${member(id)}/changes`, body);

/** R7: a join-date correction. */
export const requestJoinDate = (id: string, body: BodyOf<typeof JoinDateRequest>) => api.post<JoinDateCreated>(`${member(id)}/join-date`, body);

/** R19: the committee keeps a member past the age limit. */
export const recordAgeOutException = (id: string, body: BodyOf<typeof AgeOutException>) => api.post<AgeOutRecorded>(`${member(id)}/age-out-exception`, body);

/** R24: the scanned application form, sent as it is (its name in a header). */
export const uploadApplicationForm = (id: string, file: File) =>
  api.put<FormView>(`${member(id)}/application-form`, file, { contentType: file.type, headers: { 'x-filename': encodeURIComponent(file.name) } });

export const downloadApplicationForm = (id: string) => api.file('GET', `${member(id)}/application-form`);

/** R23: the member's rewards and punishments. */
export const listAwards = (id: string) => api.get<AwardList>(`${member(id)}/awards`);

/** R23: records an entry once under `requestKey` (sent again, it answers the first entry). */
export const recordAward = (id: string, body: BodyOf<typeof AwardBody>, requestKey: string) =>
  api.post<AwardRecorded>(`${member(id)}/awards`, body, { headers: { 'idempotency-key': requestKey } });

export const revokeAward = (awardId: string, body: BodyOf<typeof RevocationBody>) => api.post<AwardView>(`/awards/${seg(awardId)}/revocation`, body);
