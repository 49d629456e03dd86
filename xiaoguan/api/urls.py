from ninja import NinjaAPI

api = NinjaAPI(title="xiaoguan API", version="1")
