from django.http import JsonResponse


class Visitors:
    seen: dict[str, int] = {}


def visit(request):
    Visitors.seen[request.session.session_key] = Visitors.seen.get(request.session.session_key, 0) + 1
    return JsonResponse({"visitors": len(Visitors.seen)})
