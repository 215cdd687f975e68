"""The OpenID Connect provider the tests sign in through (``provider.mjs``, npm's oidc-provider)."""
