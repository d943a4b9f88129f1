"""allauth's strings that Qorgau's pages show, listed so that our catalogues translate them
(allauth ships Russian but no Kazakh). Django merges catalogues, so ours answer for allauth.
Never imported; read by makemessages only."""

from django.utils.translation import gettext_noop as _

STRINGS = (
    _("Email"),
    _("Email address"),
    _("Password"),
    _("Code"),
    _("Authenticator code"),
    _("Incorrect code."),
    _("The email address and/or password you specified are not correct."),
    _("Too many failed login attempts. Try again later."),
    _("Use your password"),
    _("Use authenticator app or code"),
    _("This field is required."),
)
