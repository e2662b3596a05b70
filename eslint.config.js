import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      ".warden/**",
      "shared/src/contracts/generated.ts",
      "coverage/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            "*.js",
            "*.ts",
            "deploy/local/*.mjs",
            "shared/scripts/*.mjs",
          ],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          varsIgnorePattern: "^_",
          argsIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      // Services talk over Kafka and NATS, never by importing each other; shared never imports a service.
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "@warden/ingest",
                "@warden/baseline",
                "@warden/detector",
                "@warden/revoker",
                "../../services/*",
                "**/services/*/src/*",
              ],
              message: "services depend on @warden/shared only",
            },
          ],
        },
      ],
    },
  },
  {
    // Gateway authors embed the SDK: it may use shared's dependency-free subpaths, never its
    // root (which pulls chDB, Kafka and NATS clients). Repeats the service patterns because a
    // later no-restricted-imports replaces the earlier options.
    files: ["sdk/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@warden/shared",
              message:
                "the SDK imports only @warden/shared/names, /kill-switch, /errors, /retry and /contracts/*",
            },
          ],
          patterns: [
            {
              group: [
                "@warden/ingest",
                "@warden/baseline",
                "@warden/detector",
                "@warden/revoker",
                "../../services/*",
                "**/services/*/src/*",
              ],
              message: "services depend on @warden/shared only",
            },
          ],
        },
      ],
    },
  },
  {
    // What-if (issue 19) scores stored events with the detector's own pure engine and its
    // config loader: one scoring code, never a copy. Only these two baseline files may import
    // it, and only @warden/detector; the other services stay out.
    files: [
      "services/baseline/src/api/what-if-route.ts",
      "services/baseline/src/config.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "@warden/ingest",
                "@warden/baseline",
                "@warden/revoker",
                "../../services/*",
                "**/services/*/src/*",
              ],
              message: "services depend on @warden/shared only",
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI composes services in one process; tests and benchmarks exercise their cores;
    // the deploy checks read their metric declarations.
    files: ["cli/**", "test/**", "bench/**", "deploy/**"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
