from shop.registry import exporter, report


@report("sales")
class SalesReport:
    pass


@exporter
class CsvExporter:
    pass
