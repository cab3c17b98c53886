import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router';
import { i18n } from './i18n';
import { onUnauthorized } from './api';
import { signOut } from './session';
import './styles.css';

// A 401 anywhere: the token is gone or revoked; back to Sign in, coming back here afterwards.
onUnauthorized(() => {
  signOut();
  const current = router.currentRoute.value;
  // During the first navigation there is no page yet: the router's guard sends it to Sign in itself.
  if (current.matched.length > 0 && current.name !== 'login') void router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1' } });
});

createApp(App).use(i18n).use(router).mount('#app');
