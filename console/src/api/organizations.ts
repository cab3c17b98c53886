// An organization and what hangs from it (contract/organizations.ts, cadres.ts, health.ts, application-forms.ts).
import type { OrganizationView, OrgPatch, OrgPatched } from '../../../contract/organizations';
import type { CadreBody, CadreList, CadreView, EndCadreBody } from '../../../contract/cadres';
import type { HealthQuery, HealthView } from '../../../contract/health';
import type { MissingPage, MissingQuery } from '../../../contract/application-forms';
import { api, seg, type BodyOf, type QueryOf } from './http';

export type { OrganizationView } from '../../../contract/organizations';
export type { CadreRole, CadreView } from '../../../contract/cadres';
export type { HealthItem, HealthKind, HealthView } from '../../../contract/health';
export type { MissingForm, MissingPage } from '../../../contract/application-forms';

const org = (id: string) => `/organizations/${seg(id)}`;

export const getOrganization = (id: string) => api.get<OrganizationView>(org(id));

export const patchOrganization = (id: string, body: BodyOf<typeof OrgPatch>) => api.patch<OrgPatched>(org(id), body);

/** R8: the organization's cadres. */
export const listCadres = (id: string) => api.get<CadreList>(`${org(id)}/cadres`);

export const enterCadre = (id: string, body: BodyOf<typeof CadreBody>) => api.post<CadreView>(`${org(id)}/cadres`, body);

export const endCadre = (id: string, cadreId: string, body: BodyOf<typeof EndCadreBody>) => api.post<CadreView>(`${org(id)}/cadres/${seg(cadreId)}/end`, body);

/** R21: the subtree's health, and with `list` one kind's organizations a page at a time. */
export const getHealth = (id: string, query: QueryOf<typeof HealthQuery> = {}) => api.get<HealthView>(`${org(id)}/health`, query);

/** R24: the members of a subtree still missing their application form. */
export const listMissingForms = (query: QueryOf<typeof MissingQuery>) => api.get<MissingPage>('/application-forms/missing', query);
