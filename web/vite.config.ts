/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The build is committed (web/dist) and embedded into the Go binary; CI
// rebuilds it and fails when it differs, so it must be deterministic.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
    // A test fails on what it checks, not on a loaded machine's speed:
    // vitest's 5 s default timed out render-heavy tests at load 20.
    testTimeout: 60_000,
    setupFiles: ['src/test-setup.ts'],
  },
})
