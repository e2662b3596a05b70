// The public surface of @warden/gateway-sdk: every export is named here.
export {};
