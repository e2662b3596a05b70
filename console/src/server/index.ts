export {
  CONSOLE_PATH,
  registerConsole,
  type ConsoleOptions,
  type ConsoleSettings,
} from "./register-console.js";
export {
  contentSecurityPolicy,
  crossSiteRefusal,
  securityHeaders,
} from "./security.js";
