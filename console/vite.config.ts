// The web console: built into console/dist, served by the API under /console/ (npm run console:build).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import AutoImport from 'unplugin-auto-import/vite';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';

const root = fileURLToPath(new URL('.', import.meta.url));
const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  plugins: [
    vue(),
    // Element Plus on demand: only the components (and their CSS) a page uses end up in its chunk.
    AutoImport({ resolvers: [ElementPlusResolver()], dts: src('auto-imports.d.ts') }),
    Components({ resolvers: [ElementPlusResolver()], dts: src('components.d.ts'), dirs: [] }),
  ],
  define: {
    // Composition API only: vue-i18n's legacy API and devtools hooks stay out of the bundle.
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // npm run console:dev next to npm start: the API answers /api.
    proxy: { '/api': process.env.TUANWU_API_URL ?? 'http://127.0.0.1:3000' },
  },
});
