package org.acme;

public enum Size {
    S("small"), M("medium"), L("large");

    private final String label;

    Size(String label) { this.label = label; }

    public String getLabel() { return label; }
}
