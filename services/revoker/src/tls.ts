import { readFileSync } from "node:fs";
import type { Server } from "node:https";
import {
  fastify,
  type FastifyHttpsOptions,
  type FastifyInstance,
} from "fastify";

/** PEM certificate chain and private key an HTTPS server presents. */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Reads the certificate and key files once, at start-up, naming the variable in the error so
 * a wrong path fails the start and not the first handshake. The all-in-one reuses it with its
 * own variable names.
 */
export function readServerTls(
  files: { readonly certFile: string; readonly keyFile: string },
  variables: { readonly cert: string; readonly key: string },
): ServerTls {
  const read = (file: string, variable: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(
        `${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  };
  const cert = read(files.certFile, variables.cert);
  const key = read(files.keyFile, variables.key);
  if (!cert.includes("-----BEGIN CERTIFICATE-----"))
    throw new Error(
      `${variables.cert}: ${files.certFile} holds no PEM certificate`,
    );
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString("latin1")))
    throw new Error(
      `${variables.key}: ${files.keyFile} holds no PEM private key`,
    );
  return { cert, key };
}

/**
 * A fastify server over HTTPS when `tls` is given (TLS 1.2 at least, as the CAEP
 * interoperability profile §2.1 asks), else plain HTTP; the same routes either way.
 */
export function createApiServer(
  options: { readonly bodyLimit: number },
  tls: ServerTls | undefined,
): FastifyInstance {
  if (!tls) return fastify({ logger: false, bodyLimit: options.bodyLimit });
  const https: FastifyHttpsOptions<Server> = {
    logger: false,
    bodyLimit: options.bodyLimit,
    https: { cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" },
  };
  return fastify(https);
}
