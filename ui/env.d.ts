/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** ws:// or wss:// URL of the relay to link to; empty means the page's own origin. */
  readonly VITE_DEFAULT_RELAY?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
