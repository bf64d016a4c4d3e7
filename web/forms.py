"""Forms of the web view (labels are Indonesian msgids)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    phone = forms.CharField(label=_("Nomor HP"), max_length=32)
    password = forms.CharField(label=_("Kata sandi"), widget=forms.PasswordInput, max_length=128)


class AssignForm(forms.Form):
    staff_id = forms.UUIDField(label=_("Petugas"))
