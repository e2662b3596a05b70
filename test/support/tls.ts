import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";

/** A throw-away CA and a server certificate for 127.0.0.1 / localhost, made by openssl. */
export interface TestTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export function makeTestTls(dir: string): TestTls {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync("openssl", args, { stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-keyout",
    at("ca.key"),
    "-out",
    at("ca.pem"),
    "-subj",
    "/CN=warden test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    at("server.key"),
    "-out",
    at("server.csr"),
    "-subj",
    "/CN=127.0.0.1",
  );
  writeFileSync(
    at("server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    at("server.csr"),
    "-CA",
    at("ca.pem"),
    "-CAkey",
    at("ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-out",
    at("server.pem"),
    "-extfile",
    at("server.ext"),
  );
  return {
    caFile: at("ca.pem"),
    certFile: at("server.pem"),
    keyFile: at("server.key"),
    ca: readFileSync(at("ca.pem")),
    cert: readFileSync(at("server.pem")),
    key: readFileSync(at("server.key")),
  };
}

/** JSON over https trusting only `ca` (fetch cannot take a CA without undici). */
export function httpsJson(
  ca: Buffer,
  method: string,
  url: string,
  options: {
    readonly token?: string;
    readonly body?: unknown;
    readonly form?: Record<string, string>;
    readonly basic?: string;
  } = {},
): Promise<{
  status: number;
  body: unknown;
  headers: Record<string, unknown>;
}> {
  const payload =
    options.form !== undefined
      ? new URLSearchParams(options.form).toString()
      : options.body === undefined
        ? undefined
        : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      {
        method,
        ca,
        headers: {
          ...(options.token
            ? { authorization: `Bearer ${options.token}` }
            : {}),
          ...(options.basic ? { authorization: `Basic ${options.basic}` } : {}),
          ...(payload === undefined
            ? {}
            : {
                "content-type":
                  options.form !== undefined
                    ? "application/x-www-form-urlencoded"
                    : "application/json",
              }),
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body: text ? (JSON.parse(text) as unknown) : undefined,
            headers: response.headers,
          }),
        );
      },
    );
    sent.on("error", reject);
    sent.end(payload);
  });
}
