import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The console is served from /console/ by a Warden host; everything it needs is in the bundle
// (no CDN), and nothing is inlined, so the strict content security policy holds.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../../dist/app", import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
    sourcemap: false,
  },
});
