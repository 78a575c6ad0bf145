/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the proxy's HTTP API; empty or unset means same origin (dev: http://127.0.0.1:8080). */
  readonly VITE_PROXY_URL?: string;
  /** "1" builds the local-development extras (mocked Telegram, sandbox wallet) into a production build. */
  readonly VITE_COCOON_LOCAL?: string;
  /** The operator's attestation policy key (Ed25519 public key, base64) confidential jobs are checked with. */
  readonly VITE_ATTESTATION_POLICY_KEY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
