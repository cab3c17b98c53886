// R22: the yearly evaluation and registration campaign (contract/campaigns.ts).
import type {
  BranchCadreView,
  BranchTaskView,
  CadreRegistrationBody,
  CadresRegistered,
  CampaignClosed,
  CampaignList,
  CampaignOpen,
  CampaignOpened,
  CampaignView,
  CloseBody,
  ExtensionBody,
  ExtensionCreated,
  GradesBody,
  GradesRecorded,
  ProgressQuery,
  ProgressView,
  RegistrationsBody,
  RegistrationsRecorded,
} from '../../../contract/campaigns';
import { api, seg, type BodyOf, type QueryOf } from './http';

export type {
  BranchCadreView,
  BranchCountsView as BranchCounts,
  BranchTaskView as BranchTask,
  CampaignView,
  ChildProgressView as ChildProgress,
  GradeCode,
  PhaseView as CampaignPhasePlan,
  ProgressView as CampaignProgress,
  RegistrationCode,
} from '../../../contract/campaigns';

const campaign = (id: string) => `/campaigns/${seg(id)}`;
const branch = (id: string, orgId: string) => `${campaign(id)}/branches/${seg(orgId)}`;

export const listCampaigns = () => api.get<CampaignList>('/campaigns');

export const openCampaign = (body: BodyOf<typeof CampaignOpen>) => api.post<CampaignOpened>('/campaigns', body);

export const getCampaign = (id: string) => api.get<CampaignView>(campaign(id));

export const campaignProgress = (id: string, query: QueryOf<typeof ProgressQuery>) => api.get<ProgressView>(`${campaign(id)}/progress`, query);

/** A branch's task: its members' grades and registrations, its cadres, the decisions open to the caller. */
export const branchTask = (id: string, orgId: string) => api.get<BranchTaskView>(branch(id, orgId));

export const saveGrades = (id: string, orgId: string, body: BodyOf<typeof GradesBody>) => api.put<GradesRecorded>(`${branch(id, orgId)}/grades`, body);

export const saveRegistrations = (id: string, orgId: string, body: BodyOf<typeof RegistrationsBody>) =>
  api.put<RegistrationsRecorded>(`${branch(id, orgId)}/registrations`, body);

/** 团干部注册: the organization's current cadres registered in the campaign. */
export const registerCadres = (id: string, orgId: string, body: BodyOf<typeof CadreRegistrationBody>) =>
  api.put<CadresRegistered>(`${campaign(id)}/cadres/${seg(orgId)}`, body);

/** The province extends a phase's deadline for a city. */
export const extendCampaign = (id: string, body: BodyOf<typeof ExtensionBody>) => api.post<ExtensionCreated>(`${campaign(id)}/extensions`, body);

export const closeCampaign = (id: string, body: BodyOf<typeof CloseBody>) => api.post<CampaignClosed>(`${campaign(id)}/close`, body);

/**
 * A cadre as the campaign's cadre registration lists it: from a branch's task (registered or not), or from a
 * committee's cadres (GET /organizations/{id}/cadres), where the registration is not known.
 */
export type CampaignCadre = Pick<BranchCadreView, 'cadreId' | 'name' | 'post'> & { registered?: boolean };
