"""The JSON API (/api/v1/): personal access tokens, and the face the modules' routers hang on."""
