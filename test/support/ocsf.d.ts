interface Validate {
    (data: unknown): boolean;
    errors?: unknown[] | null;
}
/**
 * An OCSF validator that is not Warden's: the JSON Schema (draft 2020-12) of a class as the
 * ocsf-json-schema package (PyPI) generates it from the OCSF schema it ships, compiled by ajv.
 * Detection Finding 1.8.0 with the security_control profile unless told otherwise.
 */
export declare function ocsfValidator(version?: string, classUid?: number, profiles?: readonly string[]): Validate;
export {};
//# sourceMappingURL=ocsf.d.ts.map