import {
  ConfigError,
  matching,
  portNumber,
  readAll,
  readCommonConfig,
  readEnv,
  readNatsConfig,
  type CommonConfig,
  type NatsConfig,
} from "@warden/shared";

export const DEFAULT_REVOKER_OPS_PORT = 9104;
export const DEFAULT_REVOKER_HTTP_PORT = 8088;
export const DEFAULT_REVOKER_ISSUER = "http://127.0.0.1:8088";
export const DEFAULT_REVOKER_SIGNING_KEY_FILE =
  ".warden/revoker/signing-key.json";

const HTTP_URL = /^https?:\/\/\S+$/;

export interface RevokerConfig {
  readonly common: CommonConfig;
  readonly nats: NatsConfig;
  readonly issuer: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly signingKeyFile: string;
  readonly push: {
    readonly url: string;
    readonly audience: string;
    /** Sent as the Authorization header of every push; never logged. */
    readonly authorization: string | undefined;
  };
}

export function loadRevokerConfig(
  env: Record<string, string | undefined>,
): RevokerConfig {
  const groups = readAll(env, {
    common: (e) => readCommonConfig(e, DEFAULT_REVOKER_OPS_PORT),
    nats: readNatsConfig,
    revoker: (e) => {
      const raw = readEnv(e, {
        REVOKER_ISSUER: matching(
          HTTP_URL,
          "an http(s) URL",
        )({
          default: DEFAULT_REVOKER_ISSUER,
          desc: "iss of every SET, and the issuer receivers expect",
        }),
        REVOKER_HTTP_HOST: matching(
          /^\S+$/,
          "a host name or address",
        )({
          default: "127.0.0.1",
          desc: "address the /jwks.json server binds to",
        }),
        REVOKER_HTTP_PORT: portNumber({
          default: DEFAULT_REVOKER_HTTP_PORT,
          desc: "port of the /jwks.json server (0 = any)",
        }),
        REVOKER_SIGNING_KEY_FILE: matching(
          /^\S.*$/,
          "a file path",
        )({
          default: DEFAULT_REVOKER_SIGNING_KEY_FILE,
          desc: "RS256 private JWK; generated on first start if missing",
        }),
        REVOKER_PUSH_URL: matching(
          /^$|^https?:\/\/\S+$/,
          "an http(s) URL",
        )({
          default: "",
          desc: "RFC 8935 push endpoint of the receiver",
        }),
        REVOKER_PUSH_AUDIENCE: matching(
          /^$|^\S+$/,
          "an audience",
        )({
          default: "",
          desc: "aud of every SET (empty: REVOKER_PUSH_URL)",
        }),
        REVOKER_PUSH_AUTHORIZATION: matching(
          /^[\s\S]*$/,
          "an Authorization header value",
        )({
          default: "",
          desc: "Authorization header of every push (empty: none)",
        }),
      });
      if (raw.REVOKER_PUSH_URL === "") {
        throw new ConfigError([
          {
            variable: "REVOKER_PUSH_URL",
            expected:
              "the receiver's RFC 8935 push endpoint, e.g. https://receiver.example/events",
          },
        ]);
      }
      return raw;
    },
  });
  const raw = groups.revoker;
  return Object.freeze({
    common: groups.common,
    nats: groups.nats,
    issuer: raw.REVOKER_ISSUER,
    httpHost: raw.REVOKER_HTTP_HOST,
    httpPort: raw.REVOKER_HTTP_PORT,
    signingKeyFile: raw.REVOKER_SIGNING_KEY_FILE,
    push: Object.freeze({
      url: raw.REVOKER_PUSH_URL,
      audience: raw.REVOKER_PUSH_AUDIENCE || raw.REVOKER_PUSH_URL,
      authorization: raw.REVOKER_PUSH_AUTHORIZATION || undefined,
    }),
  });
}
