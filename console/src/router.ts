// Routes under /console/. Sign in and To do (the landing page) are in the first load; every other page is lazy.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import AppLayout from './layout/AppLayout.vue';
import SignIn from './pages/SignIn.vue';
import Todo from './pages/Todo.vue';
import { isSignedIn, loadMe } from './session';
import { loadProcessKinds } from './process-kinds';
import { i18n } from './i18n';

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title. */
    title?: string;
    public?: boolean;
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: SignIn, meta: { title: 'signIn.title', public: true } },
  {
    path: '/',
    component: AppLayout,
    children: [
      { path: '', redirect: { name: 'todo' } },
      { path: 'todo', name: 'todo', component: Todo, meta: { title: 'nav.todo' } },
      { path: 'supervision', name: 'supervision', component: () => import('./pages/Supervision.vue'), meta: { title: 'nav.supervision' } },
      { path: 'processes/:id', name: 'process', component: () => import('./pages/ProcessDetail.vue'), props: true, meta: { title: 'process.title' } },
      { path: 'members/:id', name: 'member', component: () => import('./pages/MemberPage.vue'), props: true, meta: { title: 'member.title' } },
      {
        path: 'organizations/:id',
        name: 'organization',
        component: () => import('./pages/OrganizationPage.vue'),
        props: true,
        meta: { title: 'organization.title' },
      },
      { path: 'transfers', name: 'transfers', component: () => import('./pages/Transfers.vue'), meta: { title: 'nav.transfers' } },
      { path: 'statistics', name: 'statistics', component: () => import('./pages/Statistics.vue'), meta: { title: 'nav.statistics' } },
      { path: 'problems', name: 'problems', component: () => import('./pages/Problems.vue'), meta: { title: 'nav.problems' } },
      { path: 'health', name: 'health', component: () => import('./pages/ScopePage.vue'), props: { section: 'health' }, meta: { title: 'nav.health' } },
      {
        path: 'missing-forms',
        name: 'missing-forms',
        component: () => import('./pages/ScopePage.vue'),
        props: { section: 'forms' },
        meta: { title: 'nav.missingForms' },
      },
      {
        path: 'join-date-window',
        name: 'join-date-window',
        component: () => import('./pages/JoinDateWindow.vue'),
        meta: { title: 'nav.joinDateWindow' },
      },
      { path: 'campaigns', name: 'campaigns', component: () => import('./pages/Campaigns.vue'), meta: { title: 'nav.campaigns' } },
      {
        path: 'campaigns/:id',
        name: 'campaign',
        component: () => import('./pages/CampaignPage.vue'),
        props: true,
        meta: { title: 'campaigns.progress.title' },
      },
      {
        path: 'campaigns/:id/branches/:orgId',
        name: 'campaign-branch',
        component: () => import('./pages/CampaignBranch.vue'),
        props: true,
        meta: { title: 'campaigns.branch.title' },
      },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('./pages/NotFound.vue'), meta: { title: 'app.notFound' } },
    ],
  },
];

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!isSignedIn()) return { name: 'login', query: to.fullPath !== '/todo' && to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  try {
    // The processes' names come from their declarations: asked with the actor, before the first page shows.
    await Promise.all([loadMe(), loadProcessKinds()]);
  } catch {
    // A 401 has cleared the session (main.ts); anything else (API down) still shows the page and its own error.
    if (!isSignedIn()) return { name: 'login' };
  }
  return true;
});

router.afterEach((to) => {
  const { t } = i18n.global;
  document.title = to.meta.title ? `${t(to.meta.title)} · ${t('app.title')}` : t('app.title');
});
