REPORTS = {}
EXPORTERS = []
SIGNAL_NAMES = set()


def report(name):
    def register(cls):
        REPORTS[name] = cls
        return cls

    return register


def exporter(cls):
    EXPORTERS.append(cls)
    return cls


def signal_name_add(name):
    SIGNAL_NAMES.add(name)
