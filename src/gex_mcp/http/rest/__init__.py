"""The REST API in the guide's paths: routes from the endpoint table (`app`), the OpenAPI
document (`openapi`), the error boundary (`errors`) and the alert routes (`alerts`)."""
