"""Form helpers shared by every module's pages."""

from services.errors import ServiceError


def apply_service_error(form, error: ServiceError) -> None:
    """Show a service's refusal on the form: per field where it names one, else on top."""
    if not error.errors:
        form.add_error(None, error.message)
        return
    for field, messages in error.errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
