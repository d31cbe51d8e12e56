"""API permissions: the roles' model permissions, deny by default.

Every method needs a permission, reads included: a Viewer reads (``view_*``), an Analyst adds
and changes, only an Admin deletes. A view can name other permissions per action in
``action_permissions`` (moving an incident needs ``change_incident``, not ``add``).
"""

from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request

VIEW = "%(app_label)s.view_%(model_name)s"


class RolePermissions(DjangoModelPermissions):
    perms_map = {
        "GET": [VIEW],
        "HEAD": [VIEW],
        "OPTIONS": [VIEW],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request: Request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        action_permissions = getattr(view, "action_permissions", {})
        action = getattr(view, "action", None)
        if action in action_permissions:
            return request.user.has_perms(action_permissions[action])
        return super().has_permission(request, view)


class ManagesModel(RolePermissions):
    """Reads need the ``change`` permission too: for what only its managers see (feeds, whose
    addresses and errors are the Admin role's business)."""

    perms_map = {
        **RolePermissions.perms_map,
        "GET": ["%(app_label)s.change_%(model_name)s"],
        "HEAD": ["%(app_label)s.change_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.change_%(model_name)s"],
    }
