"""The one error tree: every refusal the domain can make, with a machine code.

Services raise these; the API maps them to HTTP in one place (backend.api.errors).
Anything else that escapes is a bug and becomes a 500.
"""


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, **details):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


class InvalidInput(DomainError):
    status = 422


class InvalidLocation(InvalidInput):
    pass


class InvalidGeometry(InvalidInput):
    pass


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class InvalidTransition(Conflict):
    pass


class StaleVersion(Conflict):
    pass


class PreconditionRequired(DomainError):
    status = 428


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class PayloadTooLarge(DomainError):
    status = 413


class UnsupportedMediaType(DomainError):
    status = 415


class UnsupportedPhotoType(UnsupportedMediaType):
    def __init__(self, message: str = "Only JPEG, PNG, WebP and HEIC photos are accepted.", **d):
        super().__init__("unsupported_photo_type", message, **d)


class CorruptPhoto(InvalidInput):
    def __init__(self, message: str = "The photo could not be read; it may be damaged or "
                                      "cut short.", **d):
        super().__init__("corrupt_photo", message, **d)


class PhotoTooLarge(PayloadTooLarge):
    def __init__(self, message: str, **d):
        super().__init__("photo_too_large", message, **d)
