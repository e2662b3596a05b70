import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
// ajv 8 is shared's dependency; the root's ajv is eslint's v6.
const { Ajv2020 } = createRequire(new URL("../../shared/package.json", import.meta.url))("ajv/dist/2020.js");
/**
 * An OCSF validator that is not Warden's: the JSON Schema (draft 2020-12) of a class as the
 * ocsf-json-schema package (PyPI) generates it from the OCSF schema it ships, compiled by ajv.
 * Detection Finding 1.8.0 with the security_control profile unless told otherwise.
 */
export function ocsfValidator(version = "1.8.0", classUid = 2004, profiles = ["security_control"]) {
    const run = spawnSync("python3", ["test/support/ocsf-schema.py", version, String(classUid), ...profiles], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0)
        throw new Error(`the OCSF schema generator failed (pip install --user ocsf-json-schema):\n${run.stderr}`);
    const ajv = new Ajv2020({
        strict: false,
        allErrors: true,
        unicodeRegExp: false,
    });
    return ajv.compile(JSON.parse(run.stdout));
}
//# sourceMappingURL=ocsf.js.map