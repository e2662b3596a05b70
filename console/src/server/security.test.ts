import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, crossSiteRefusal } from "./security.js";

describe("contentSecurityPolicy", () => {
  it("allows only our origin and the query API to be reached, and no inline script", () => {
    const policy = contentSecurityPolicy(["http://127.0.0.1:8089"]);
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("connect-src 'self' http://127.0.0.1:8089;");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("require-trusted-types-for 'script'");
    expect(policy).not.toMatch(/unsafe-(inline|eval)/);
  });
});

describe("crossSiteRefusal", () => {
  const post = (headers: {
    origin?: string;
    secFetchSite?: string;
  }): string | undefined =>
    crossSiteRefusal({
      method: "POST",
      host: "soc.example:8088",
      origin: headers.origin,
      secFetchSite: headers.secFetchSite,
    });
  it("lets same-origin pages and programs without browser headers through", () => {
    expect(
      post({ origin: "https://soc.example:8088", secFetchSite: "same-origin" }),
    ).toBeUndefined();
    expect(post({})).toBeUndefined();
  });
  it("refuses state changes from another site or origin", () => {
    expect(post({ secFetchSite: "cross-site" })).toMatch(/cross-site/);
    expect(post({ secFetchSite: "same-site" })).toMatch(/same-site/);
    expect(post({ origin: "https://evil.example" })).toMatch(/Origin/);
    expect(post({ origin: "null" })).toMatch(/Origin/);
  });
  it("never blocks reads", () => {
    expect(
      crossSiteRefusal({
        method: "GET",
        host: "a",
        origin: "https://evil.example",
        secFetchSite: "cross-site",
      }),
    ).toBeUndefined();
  });
});
