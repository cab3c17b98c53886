// Who is signed in: the token (token.ts) and the API's answer to GET /me for it.
import { reactive } from 'vue';
import { getMe, type Me } from './api/console';
import { clearToken, getToken, setToken } from './token';

export const session = reactive<{ me: Me | null }>({ me: null });

export function isSignedIn(): boolean {
  return getToken() !== null;
}

/** Checks a token with GET /me before keeping it: a wrong token is never stored. */
export async function signIn(token: string): Promise<Me> {
  const me = await getMe(token);
  setToken(token);
  session.me = me;
  return me;
}

/** The signed-in actor, asked once per tab load (a 401 clears the session through the API's handler). */
export async function loadMe(): Promise<Me | null> {
  if (!getToken()) return null;
  if (!session.me) session.me = await getMe();
  return session.me;
}

export function signOut(): void {
  clearToken();
  session.me = null;
}

/** Roles that supervise an organization's subtree (Supervision, Statistics, Data problems). */
export function supervises(me: Me | null): boolean {
  return !!me?.org && me.role !== 'member';
}
